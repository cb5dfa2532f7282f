namespace MLNet.Transformers;

/// <summary>Which files a download fetches when no explicit list is given.</summary>
internal enum HubFileSet
{
    /// <summary>config.json, the safetensors weights (single or sharded), tokenizer files, sentence-transformers modules.</summary>
    Checkpoint,

    /// <summary>Only the tokenizer files (and config.json when the repository has one): for a TokenizerDirectory.</summary>
    Tokenizer,
}
