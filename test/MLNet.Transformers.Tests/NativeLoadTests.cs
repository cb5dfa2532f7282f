using TorchSharp;

namespace MLNet.Transformers.Tests;

[TestClass]
public sealed class NativeLoadTests
{
    [TestMethod]
    public void TorchSharp_LoadsAndRunsATensorOp()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = torch.matmul(a, a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
