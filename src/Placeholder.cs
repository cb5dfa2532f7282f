namespace MLNet.Transformers;
