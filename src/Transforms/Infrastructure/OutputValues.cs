using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>Serves the plain .NET values a batch produced for one output column as ML.NET values.</summary>
internal static class OutputValues
{
    internal static Delegate GetGetter(OutputColumnSpec spec, Func<Array> values, Func<int> currentSlot) => spec.Type switch
    {
        TextDataViewType => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> dst) =>
            dst = ((string[])values())[currentSlot()].AsMemory()),
        VectorDataViewType { ItemType: TextDataViewType } => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> dst) =>
        {
            var row = ((string[][])values())[currentSlot()];
            var editor = VBufferEditor.Create(ref dst, row.Length);
            for (int i = 0; i < row.Length; i++) editor.Values[i] = row[i].AsMemory();
            dst = editor.Commit();
        }),
        VectorDataViewType v => (Delegate)typeof(OutputValues).GetMethod(nameof(VectorGetter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(v.ItemType.RawType).Invoke(null, [values, currentSlot])!,
        _ => (Delegate)typeof(OutputValues).GetMethod(nameof(ScalarGetter), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(spec.Type.RawType).Invoke(null, [values, currentSlot])!,
    };

    private static ValueGetter<VBuffer<T>> VectorGetter<T>(Func<Array> values, Func<int> currentSlot) => (ref VBuffer<T> dst) =>
    {
        T[] row = ((T[][])values())[currentSlot()];
        var editor = VBufferEditor.Create(ref dst, row.Length);
        row.AsSpan().CopyTo(editor.Values);
        dst = editor.Commit();
    };

    private static ValueGetter<T> ScalarGetter<T>(Func<Array> values, Func<int> currentSlot) =>
        (ref T dst) => dst = ((T[])values())[currentSlot()];

    /// <summary>Checks what <see cref="RowBatch.SetOutput{T}"/> received, naming the column in every error.</summary>
    internal static void Validate(OutputColumnSpec spec, Array values, int count)
    {
        Type expected = ClrTypes.Of(spec.Type).MakeArrayType();
        if (values.GetType() != expected)
            throw new InvalidOperationException(
                $"Output column '{spec.Name}' ({spec.Type}) takes {ClrTypes.Describe(expected)} values, but got {ClrTypes.Describe(values.GetType())}.");
        if (values.Length != count)
            throw new InvalidOperationException($"Output column '{spec.Name}' got {values.Length} values for a batch of {count} rows.");
        int size = spec.Type is VectorDataViewType v ? v.Size : 0;
        for (int i = 0; i < count; i++)
        {
            object? value = values.GetValue(i);
            if (value is null)
                throw new InvalidOperationException($"Output column '{spec.Name}' got null for row {i} of the batch.");
            if (size > 0 && ((Array)value).Length != size)
                throw new InvalidOperationException(
                    $"Output column '{spec.Name}' is a vector of size {size}, but row {i} of the batch has {((Array)value).Length} values.");
        }
    }
}
