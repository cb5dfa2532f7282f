using MLNet.Transformers.Consumer;

// Usage: MLNet.Transformers.Consumer.MLNet6 <checkpoint folder> <work folder>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MLNet.Transformers.Consumer.MLNet6 <checkpoint folder> <work folder>");
    return 2;
}
TextClassificationBinding.Run(args[0]);
ConsumerChecks.Run(args[0], args[1]);
return 0;
