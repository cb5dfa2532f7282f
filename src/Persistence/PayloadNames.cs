namespace MLNet.Transformers.Persistence;

/// <summary>Payload item names become zip entry names next to the transformer's main stream: keep them plain.</summary>
internal static class PayloadNames
{
    internal static void Validate(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            throw new ArgumentException($"Payload item name '{name}' must be 1-100 ASCII letters, digits, '_', '-' or '.'.", nameof(name));
    }

    internal static string StreamName(string name) => "Payload." + name;

    /// <summary>The stream holding the SHA-256 of every payload item (not "Payload.*", so it never collides with an item).</summary>
    internal const string ChecksumStreamName = "PayloadChecksums.json";
}
