namespace MLNet.Transformers.Onnx;

/// <summary>
/// Turns a BERT / RoBERTa / DistilBERT encoder exported to ONNX into a Hugging Face layout folder (config.json,
/// model.safetensors, tokenizer files) that every encoder estimator takes.
/// </summary>
public static class OnnxCheckpoint
{
    /// <summary>Imports <paramref name="onnxPath"/> into <paramref name="outputDirectory"/> and returns that folder.</summary>
    public static string Import(string onnxPath, string outputDirectory) =>
        throw new NotImplementedException("ONNX import is being written (issue 18).");

    /// <summary>
    /// Imports <paramref name="onnxPath"/> once into a cache folder keyed by the file's sha256 and returns that folder;
    /// later calls with the same file return the cached folder.
    /// </summary>
    public static string ImportCached(string onnxPath) =>
        throw new NotImplementedException("ONNX import is being written (issue 18).");
}
