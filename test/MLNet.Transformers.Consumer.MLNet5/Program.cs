using MLNet.Transformers.Consumer;

// Usage: MLNet.Transformers.Consumer.MLNet5 <checkpoint folder> <work folder>
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: MLNet.Transformers.Consumer.MLNet5 <checkpoint folder> <work folder>");
    return 2;
}
ConsumerChecks.Run(args[0], args[1]);
return 0;
