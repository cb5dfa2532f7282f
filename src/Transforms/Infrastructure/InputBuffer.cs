using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Holds one input column's values for the rows of a batch, copied from the input row when it was current (the
/// cursor has moved past them by the time they are served). Serves them back as ML.NET values (pass-through) or as
/// plain .NET values for <see cref="RowBatch"/>.
/// </summary>
internal abstract class InputBuffer
{
    internal abstract void Fill(int slot);
    internal abstract Delegate GetGetter(Func<int> currentSlot);
    internal abstract Array ToClr(int count);

    internal static InputBuffer Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        Type raw = column.Type.RawType;
        Type buffer = column.Type switch
        {
            TextDataViewType => typeof(TextInputBuffer),
            VectorDataViewType { ItemType: TextDataViewType } => typeof(TextVectorInputBuffer),
            VectorDataViewType v => typeof(VectorInputBuffer<>).MakeGenericType(v.ItemType.RawType),
            _ => typeof(ScalarInputBuffer<>).MakeGenericType(raw),
        };
        return (InputBuffer)Activator.CreateInstance(buffer, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null,
            [row, column, capacity], null)!;
    }
}

internal abstract class InputBuffer<TRaw> : InputBuffer
{
    private readonly ValueGetter<TRaw> _getter;
    protected readonly TRaw[] Values;

    protected InputBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _getter = row.GetGetter<TRaw>(column);
        Values = new TRaw[capacity];
    }

    /// <summary>A copy that does not share buffers the input cursor may reuse for its next row.</summary>
    protected abstract TRaw Copy(TRaw value);

    internal override void Fill(int slot)
    {
        TRaw value = default!;
        _getter(ref value);
        Values[slot] = Copy(value);
    }

    internal override Delegate GetGetter(Func<int> currentSlot) =>
        (ValueGetter<TRaw>)((ref TRaw dst) => dst = Values[currentSlot()]);
}

internal sealed class ScalarInputBuffer<T>(DataViewRow row, DataViewSchema.Column column, int capacity)
    : InputBuffer<T>(row, column, capacity)
{
    protected override T Copy(T value) => value;
    internal override Array ToClr(int count) => Values[..count];
}

internal sealed class TextInputBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    : InputBuffer<ReadOnlyMemory<char>>(row, column, capacity)
{
    protected override ReadOnlyMemory<char> Copy(ReadOnlyMemory<char> value) => value.ToString().AsMemory();
    internal override Array ToClr(int count) => Values[..count].Select(v => v.ToString()).ToArray();
}

internal sealed class VectorInputBuffer<T>(DataViewRow row, DataViewSchema.Column column, int capacity)
    : InputBuffer<VBuffer<T>>(row, column, capacity)
{
    protected override VBuffer<T> Copy(VBuffer<T> value)
    {
        var copy = default(VBuffer<T>);
        value.CopyTo(ref copy);
        return copy;
    }

    internal override Array ToClr(int count) => Values[..count].Select(v => v.DenseValues().ToArray()).ToArray();
}

internal sealed class TextVectorInputBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    : InputBuffer<VBuffer<ReadOnlyMemory<char>>>(row, column, capacity)
{
    protected override VBuffer<ReadOnlyMemory<char>> Copy(VBuffer<ReadOnlyMemory<char>> value)
    {
        var values = value.DenseValues().Select(v => v.ToString().AsMemory()).ToArray();
        return new VBuffer<ReadOnlyMemory<char>>(values.Length, values);
    }

    internal override Array ToClr(int count) =>
        Values[..count].Select(v => v.DenseValues().Select(s => s.ToString()).ToArray()).ToArray();
}
