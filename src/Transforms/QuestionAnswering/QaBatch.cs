using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>Windows padded to the longest one as (B, T) int64 tensors: ids, segment ids, attention mask.</summary>
internal static class QaBatch
{
    public static (Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask) Create(IReadOnlyList<QaWindow> windows, int padId, Device device)
    {
        int b = windows.Count, t = windows.Max(w => w.InputIds.Length);
        var ids = new long[b * t];
        var types = new long[b * t];
        var mask = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            var w = windows[r];
            for (int i = 0; i < t; i++)
            {
                bool real = i < w.InputIds.Length;
                ids[r * t + i] = real ? w.InputIds[i] : padId;
                types[r * t + i] = real ? w.TokenTypeIds[i] : 0;
                mask[r * t + i] = real ? 1 : 0;
            }
        }
        return (tensor(ids, device: device).reshape(b, t), tensor(types, device: device).reshape(b, t), tensor(mask, device: device).reshape(b, t));
    }
}
