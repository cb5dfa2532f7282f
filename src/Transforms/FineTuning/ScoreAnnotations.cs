using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.FineTuning;

/// <summary>
/// The annotations ML.NET's trainers put on their score columns (<c>ScoreColumnKind</c>, <c>ScoreValueKind</c>,
/// <c>ScoreColumnSetId</c>, and <c>SlotNames</c> = class names for a multiclass score), so evaluators and
/// <c>CrossValidate</c> find and label our columns as they do ML.NET's own.
/// </summary>
internal static class ScoreAnnotations
{
    internal const string MulticlassClassification = "MulticlassClassification";
    internal const string Regression = "Regression";
    internal const string ScoreValueKind = "Score";
    internal const string PredictedLabelValueKind = "PredictedLabel";

    /// <summary>A multiclass score vector: slot names = the class values, plus the score kinds.</summary>
    internal static DataViewSchema.Annotations Multiclass(LabelClasses classes)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        var names = classes.Values.Select(v => v.AsMemory()).ToArray();
        builder.Add(AnnotationUtils.Kinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ref VBuffer<ReadOnlyMemory<char>> dst) => dst = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.ToArray()));
        AddScoreKinds(builder, MulticlassClassification, ScoreValueKind);
        return builder.ToAnnotations();
    }

    /// <summary>A regression score.</summary>
    internal static DataViewSchema.Annotations RegressionScore()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        AddScoreKinds(builder, Regression, ScoreValueKind);
        return builder.ToAnnotations();
    }

    internal static void AddScoreKinds(DataViewSchema.Annotations.Builder builder, string columnKind, string valueKind)
    {
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> dst) => dst = columnKind.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance, (ref ReadOnlyMemory<char> dst) => dst = valueKind.AsMemory());
        // ML.NET numbers score sets so several scorers' columns can coexist; one set per transformer is enough here.
        builder.Add(AnnotationUtils.Kinds.ScoreColumnSetId, new KeyDataViewType(typeof(uint), int.MaxValue), (ref uint dst) => dst = 1);
    }
}
