using System.Text;
using System.Text.Json;

namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// Reads and writes <c>config.json</c>-style files with System.Text.Json, into records whose properties carry
/// <c>[JsonPropertyName("hidden_size")]</c>-style names. Unknown fields are ignored, as Hugging Face configs
/// carry many a given model does not use.
/// </summary>
internal static class ConfigFile
{
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    /// <summary>Deserialises a JSON config file.</summary>
    /// <typeparam name="T">The config record type.</typeparam>
    /// <param name="path">The JSON file, usually <c>config.json</c>.</param>
    /// <returns>The config.</returns>
    /// <exception cref="CheckpointFormatException">The file is missing, is not valid JSON, or a field has the wrong
    /// type or is missing; the message names the file and the JSON path of the field.</exception>
    public static T Load<T>(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new CheckpointFormatException(path, "config file not found");
        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(stream)
                ?? throw new CheckpointFormatException(path, $"config is JSON null, expected an object for {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            string where = string.IsNullOrEmpty(e.Path) ? "" : $" at field '{e.Path}'";
            string line = e.LineNumber is long l ? $" (line {l + 1})" : "";
            throw new CheckpointFormatException(path, $"cannot read {typeof(T).Name}{where}{line}: {e.Message}", e);
        }
    }

    /// <summary>Writes a config as indented JSON (UTF-8, no byte-order mark), replacing the file if it exists.</summary>
    /// <typeparam name="T">The config record type.</typeparam>
    /// <param name="path">The file to write.</param>
    /// <param name="config">The config.</param>
    public static void Save<T>(string path, T config)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(config);
        File.WriteAllText(path, JsonSerializer.Serialize(config, WriteOptions) + "\n", new UTF8Encoding(false));
    }
}
