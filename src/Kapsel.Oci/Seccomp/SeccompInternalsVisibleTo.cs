// The seccomp tests check the compiled programs against the syscall tables and internal rule model.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Kapsel.Oci.Tests")]
