namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>One pretraining example as token ids: the encoder input and the decoder target (both end with &lt;/s&gt; when the builder appends it).</summary>
/// <param name="Input">Encoder input ids.</param>
/// <param name="Target">Decoder target ids (labels).</param>
internal sealed record TextToTextPair(int[] Input, int[] Target);
