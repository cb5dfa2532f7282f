namespace MLNet.Transformers.Checkpoints;

/// <summary>Tensor shapes of a checkpoint directory read from the safetensors headers only (no weights loaded).</summary>
internal static class CheckpointShapes
{
    /// <summary>Tensor name → shape for <c>model.safetensors</c> or every shard of a sharded checkpoint; empty when there are no weights.</summary>
    internal static Dictionary<string, long[]> Read(string directory)
    {
        var files = new List<string>();
        string single = Path.Combine(directory, CheckpointLoader.WeightsFileName);
        if (File.Exists(single)) files.Add(single);
        else if (File.Exists(Path.Combine(directory, CheckpointLoader.ShardIndexFileName)))
            files.AddRange(Directory.EnumerateFiles(directory, "*.safetensors").Order(StringComparer.Ordinal));
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            foreach (var entry in SafeTensorsHeader.Read(stream, file).Entries) shapes[entry.Name] = entry.Shape;
        }
        return shapes;
    }
}
