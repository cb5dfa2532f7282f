namespace MLNet.Transformers;

/// <summary>What <c>/api/models/{id}/revision/{rev}</c> says about a revision: the commit it resolves to and the files at it.</summary>
internal sealed record HubRevisionInfo(string Commit, IReadOnlyList<string> Files);
