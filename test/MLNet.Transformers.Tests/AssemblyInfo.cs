// TorchSharp's dispose scopes and random seeds are process-global: run tests one at a time.
[assembly: Microsoft.VisualStudio.TestTools.UnitTesting.DoNotParallelize]
