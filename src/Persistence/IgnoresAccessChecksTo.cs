using System.Runtime.CompilerServices;

// Lets this assembly use ML.NET's internal persistence API at run time. The compiler sees publicized copies of these
// assemblies (build/Publicize.targets); the runtime honours this attribute when it checks access against the real
// ones. Every use of ML.NET internals lives under src/Persistence (see README.md there).
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Recognised by the CoreCLR by name: the named assembly's non-public members are accessible to this one.</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute : Attribute
    {
        public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

        public string AssemblyName { get; }
    }
}
