namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// The unsupervised objectives T5 compares (Raffel et al. 2020, Table 3/4), shown on "Thank you for inviting me to your
/// party last week.":
/// <list type="table">
/// <item><term><see cref="PrefixLanguageModel"/></term><description>"Thank you for inviting" → "me to your party last week ."</description></item>
/// <item><term><see cref="BertStyle"/></term><description>"Thank you &lt;M&gt; &lt;M&gt; me to your party apple week ." → the original text</description></item>
/// <item><term><see cref="Deshuffle"/></term><description>"party me for your to . last fun you inviting week Thank" → the original text</description></item>
/// <item><term><see cref="ReplaceSpans"/></term><description>"Thank you &lt;X&gt; me to your party &lt;Y&gt; week ." → "&lt;X&gt; for inviting &lt;Y&gt; last &lt;Z&gt;"</description></item>
/// <item><term><see cref="DropTokens"/></term><description>"Thank you me to your party week ." → "for inviting last"</description></item>
/// </list>
/// </summary>
public enum T5Objective
{
    /// <summary>Span corruption, T5's default: noise spans become sentinels in the input; the target lists each sentinel followed by its span.</summary>
    ReplaceSpans,
    /// <summary>Noise tokens are removed from the input; the target is the removed tokens in order.</summary>
    DropTokens,
    /// <summary>i.i.d. corruption as BERT's MLM (mask token = &lt;extra_id_0&gt;, 10% random tokens instead); the target is the whole original.</summary>
    BertStyle,
    /// <summary>The text is split at a random point: the input is the prefix, the target the rest.</summary>
    PrefixLanguageModel,
    /// <summary>The input is the tokens shuffled; the target is the original order.</summary>
    Deshuffle,
}
