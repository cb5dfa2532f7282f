using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Pretraining;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Pretrains (or continues pretraining) a BERT encoder on raw text with masked-LM and optionally next-sentence prediction,
/// and returns a fill-mask <see cref="FillMaskTransformer"/> whose <see cref="FillMaskTransformer.SaveCheckpoint"/> writes an HF
/// <c>BertForPreTraining</c> checkpoint for fine-tuning. From a RoBERTa or DistilBERT checkpoint it continues masked-LM
/// pretraining (no next-sentence objective) and saves <c>RobertaForMaskedLM</c> / <c>DistilBertForMaskedLM</c>; with
/// <c>MaxEpochs = 0</c> it loads the masked-LM of any of the three for fill-mask. Use it through <c>mlContext.Transforms.Text.PretrainMaskedLanguageModel</c>.
/// </summary>
public sealed class MaskedLanguageModelEstimator : IEstimator<FillMaskTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string? checkpointDirectory;   // the resolved folder (a Hub id is downloaded once, here)
    private readonly MaskedLanguageModelOptions options;

    internal MaskedLanguageModelEstimator(IHostEnvironment env, MaskedLanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TextColumnName, nameof(options.TextColumnName));
        ArgumentNullException.ThrowIfNull(options.Training, nameof(options.Training));
        if (options.CheckpointDirectory is null && (options.MaxEpochs == 0 || options.Training.MaxSteps is 0))
            throw new ArgumentException("MaxEpochs = 0 needs a CheckpointDirectory: a model trained from scratch must train.", nameof(options));
        if (options.MaxSequenceLength < 8) throw new ArgumentOutOfRangeException(nameof(options), options.MaxSequenceLength, "MaxSequenceLength must be at least 8.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.MaxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEpochs, "MaxEpochs must not be negative.");
        if (options.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1).");
        FineTuningChecks.KnownPrecision(options.Precision);
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.ResolveOptional(options.CheckpointDirectory, nameof(options.CheckpointDirectory), nameof(options), env);
    }

    /// <summary>What the last <see cref="Fit"/> trained: loss history, validation history, tokens/s (null if it did not train).</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>Validation metrics (masked-token accuracy, perplexity, NSP accuracy) after the last <see cref="Fit"/>, or null without validation data.</summary>
    public PretrainingMetrics? LastValidationMetrics { get; private set; }

    private FillMaskSettings Settings => new(options.TextColumnName, options.FilledTokensColumnName, options.FilledScoresColumnName,
        options.TopK, options.MaxSequenceLength, options.BatchSize, options.Device, options.Precision);

    /// <summary>Output schema: the input plus the fill-mask columns (text vector and float vector).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = FillMaskTransformer.Columns(Settings);
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }

    /// <summary>Reads the text column, builds (or loads) the tokenizer and model, trains, and returns the fill-mask transformer.</summary>
    public FillMaskTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        bool trains = options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;
        // BERT checkpoints (and models from scratch) keep the next-sentence objective available; the other families' masked-LM continues alone.
        if (checkpointDirectory is { } directory && EncoderFamilies.Of(directory) is { HasNextSentencePrediction: false } family)
        {
            if (trains) return ContinuePretraining(directory, family, input);
            manual_seed(options.Training.ResolveSeed(env));   // torch's state after Fit is the same whether or not it trains
            return FillMaskTransformer.FromCheckpoint(Settings, directory);
        }

        IReadOnlyList<string> texts = [];
        BertWordPieceTokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "PretrainMaskedLanguageModel", run =>
        {
            texts = ReadTexts(input, options.TextColumnName);
            tokenizer = CreateTokenizer(texts, run.Channel);
            return CreateModel(tokenizer, trains);
        }, (model, run) =>
        {
            if (trains)
            {
                var special = new SpecialTokenIds(tokenizer!.PadTokenId, tokenizer.UnkTokenId, tokenizer.ClsTokenId, tokenizer.SepTokenId, tokenizer.MaskTokenId, tokenizer.VocabularySize);
                Func<int, bool>? continuation = options.WholeWordMasking ? id => tokenizer.IdToToken(id).StartsWith("##", StringComparison.Ordinal) : null;
                Train(model, (ids, types, mask, chosen) =>
                {
                    var output = model.forward(ids, types, mask, chosen);
                    return (output.PredictionLogits, output.SeqRelationshipLogits);
                }, tokenizer, special, continuation, texts, run);
            }
            return new FillMaskTransformer(Settings, model, tokenizer!);
        });
    }

    private BertWordPieceTokenizer CreateTokenizer(IReadOnlyList<string> texts, IChannel channel)
    {
        if (checkpointDirectory is not null) return BertWordPieceTokenizer.FromDirectory(checkpointDirectory);
        if (options.VocabularyPath is not null) return BertWordPieceTokenizer.FromVocabulary(options.VocabularyPath, options.LowerCase);
        channel.Info($"Training a WordPiece vocabulary of {options.VocabularySize} tokens on {texts.Count} rows.");
        var vocabulary = WordPieceVocabularyTrainer.Train(texts, new WordPieceTrainingOptions { VocabularySize = options.VocabularySize, LowerCase = options.LowerCase });
        return BertWordPieceTokenizer.FromVocabulary(vocabulary, options.LowerCase);
    }

    private BertForPreTraining CreateModel(BertWordPieceTokenizer tokenizer, bool trains)
    {
        if (checkpointDirectory is not null)
        {
            // Fine to start heads fresh when continuing pretraining from an encoder-only checkpoint; never for plain fill-mask.
            // Checked before the model is allocated; the loader disposes the model itself if its weights do not load.
            BertCheckpoint.RequireVocabularySize(tokenizer.VocabularySize, BertCheckpoint.ReadConfig(checkpointDirectory), checkpointDirectory);
            return BertCheckpoint.LoadForPreTraining(checkpointDirectory, options.NextSentencePrediction && trains ? true : null, allowFreshHeads: trains);
        }
        var config = options.ModelConfig with
        {
            VocabSize = tokenizer.VocabularySize,
            PadTokenId = tokenizer.PadTokenId,
            MaxPositionEmbeddings = Math.Max(options.ModelConfig.MaxPositionEmbeddings, options.MaxSequenceLength),
        };
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"ModelConfig: {e.Message}", nameof(options), e); }
        BertCheckpoint.RequireFitsInMemory(config, "ModelConfig");
        return ModuleDisposal.Build(() => new BertForPreTraining(config, options.NextSentencePrediction), model => BertInitializer.Initialize(model, config));
    }

    // Masked-LM pretraining continued from a checkpoint of a family without a next-sentence head (RoBERTa, DistilBERT): the
    // family's tokenizer and special tokens (<s> </s> <pad> <unk> <mask> for RoBERTa), sequences packed as <s> A </s> /
    // [CLS] A [SEP], no next-sentence objective.
    private FillMaskTransformer ContinuePretraining(string directory, EncoderFamily family, IDataView input)
    {
        string modelType = family.ModelType;
        if (options.NextSentencePrediction)
            throw new ArgumentException($"Checkpoint '{directory}' has model_type '{modelType}', which has no next-sentence head: set NextSentencePrediction = false to continue its masked-LM pretraining.", nameof(options));
        if (options.WholeWordMasking && !family.HasWordPieceContinuations)
            throw new NotSupportedException($"WholeWordMasking needs WordPiece's \"##\" continuation pieces; model_type '{modelType}' uses byte-level BPE. Set WholeWordMasking = false.");
        IReadOnlyList<string> texts = [];
        IEncoderTokenizer? tokenizer = null;
        IMaskedLanguageModel? masked = null;
        return FitRun.Run(env, options.Training, "PretrainMaskedLanguageModel", _ =>
        {
            texts = ReadTexts(input, options.TextColumnName);
            tokenizer = family.LoadTokenizer(directory);   // checked against vocab_size before weights are allocated
            var loaded = family.LoadForMaskedLM(directory, allowFreshHead: true);
            masked = loaded.Model;
            return loaded.Weights;
        }, (model, run) =>
        {
            if (options.MaxSequenceLength > masked!.MaxPositions)
                throw new ArgumentOutOfRangeException(nameof(options), options.MaxSequenceLength, $"MaxSequenceLength must not exceed the {masked.MaxPositions} tokens model_type '{modelType}' has positions for.");
            var pair = tokenizer!.PairTemplate;   // [CLS]/<s> first, [SEP]/</s> last
            var special = new SpecialTokenIds(tokenizer.PadTokenId, tokenizer.UnkTokenId, pair.Start[0], pair.End[0], tokenizer.MaskTokenId, tokenizer.VocabularySize);
            Func<int, bool>? continuation = options.WholeWordMasking ? id => tokenizer.IdToToken(id).StartsWith("##", StringComparison.Ordinal) : null;
            Train(model, (ids, types, mask, chosen) => (masked.forward(ids, types, mask, chosen), null), tokenizer, special, continuation, texts, run);
            return new FillMaskTransformer(Settings, model, masked, tokenizer);
        });
    }

    private void Train(nn.Module model, PretrainingForward forward, IEncoderTokenizer tokenizer, SpecialTokenIds special, Func<int, bool>? continuation,
        IReadOnlyList<string> texts, FitRun run)
    {
        var device = Models.DeviceName.Parse(options.Device);
        var corpusOptions = new PretrainingCorpusOptions { RowFormat = options.RowFormat };
        var documents = PretrainingCorpus.ReadDocuments(texts, corpusOptions);
        var random = new Random(run.Seed);
        IReadOnlyList<CorpusDocument> trainDocs = documents, validDocs = [];
        if (options.ValidationSet is not null)
            validDocs = PretrainingCorpus.ReadDocuments(ReadTexts(options.ValidationSet, options.TextColumnName), corpusOptions);
        else if (options.ValidationFraction > 0 && documents.Count > 1)
        {
            var shuffled = documents.OrderBy(_ => random.Next()).ToList();
            int n = Math.Max(1, (int)Math.Round(documents.Count * options.ValidationFraction));
            validDocs = shuffled.Take(n).ToList();
            trainDocs = shuffled.Skip(n).ToList();
        }

        var trainInstances = BuildInstances(trainDocs, tokenizer, special, random);
        var validInstances = validDocs.Count == 0 ? [] : BuildInstances(validDocs, tokenizer, special, new Random(run.Seed + 1));
        if (trainInstances.Count == 0)
            throw new InvalidOperationException($"Column '{options.TextColumnName}' yielded no training sequences: the input has no non-empty text.");
        run.Channel.Info($"{trainDocs.Count} training documents → {trainInstances.Count} sequences; {validDocs.Count} validation documents → {validInstances.Count} sequences.");

        var masker = new MaskedLanguageModelMasker(special, new MaskedLanguageModelMaskerOptions
        {
            MaskProbability = options.MaskProbability,
            MaskTokenFraction = options.MaskTokenFraction,
            RandomTokenFraction = options.RandomTokenFraction,
            WholeWordMasking = options.WholeWordMasking,
        });
        model.to(device);
        var task = new MaskedLanguageModelTask(forward, trainInstances, validInstances, special, masker, continuation, options.BatchSize, device, run.Seed);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
        LastValidationMetrics = task.LastValidationMetrics;
    }

    private List<PretrainingInstance> BuildInstances(IReadOnlyList<CorpusDocument> documents, IEncoderTokenizer tokenizer, SpecialTokenIds special, Random random)
    {
        var tokenized = documents
            .Select(d => (IReadOnlyList<int[]>)d.Sentences.Select(s => tokenizer.Tokenize(s)).Where(ids => ids.Length > 0).ToList())
            .Where(d => d.Count > 0)
            .ToList();
        if (options.NextSentencePrediction && tokenized.Count >= 2)
            return new NextSentencePairBuilder(special, new NextSentencePairBuilderOptions { MaxSequenceLength = options.MaxSequenceLength })
                .Build(tokenized, random).ToList();
        if (options.NextSentencePrediction && tokenized.Count > 0)
            throw new InvalidOperationException($"NextSentencePrediction needs at least two documents in column '{options.TextColumnName}' (random next sentences come from other documents); found {tokenized.Count}. Set NextSentencePrediction = false or RowFormat to match your data.");
        return SequencePacker.Pack(tokenized, special, options.MaxSequenceLength).ToList();
    }

    /// <summary>All values of a text column; throws naming the column when it is missing or not text.</summary>
    internal static IReadOnlyList<string> ReadTexts(IDataView data, string column)
    {
        var col = data.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentOutOfRangeException(nameof(column), $"Input column '{column}' not found.");
        if (col.Type is not TextDataViewType)
            throw new ArgumentException($"Input column '{column}' must be of type String, but is {col.Type}.", nameof(column));
        return data.GetColumn<string>(col).Select(t => t ?? "").ToList();
    }
}
