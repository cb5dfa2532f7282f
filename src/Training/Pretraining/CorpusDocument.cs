namespace MLNet.Transformers.Training.Pretraining;

/// <summary>One document of a pretraining corpus: its title (if the source has one) and its sentences in order.</summary>
/// <param name="Title">The article title (WikiText's <c> = Title = </c> line), or null when the source has none.</param>
/// <param name="Sentences">The sentences, in document order; paragraph boundaries are not kept.</param>
internal sealed record CorpusDocument(string? Title, IReadOnlyList<string> Sentences);
