namespace Kapsel.Network.Networks;

/// <summary>
/// A network request Kapsel refuses or could not carry out, with a one-line message meant for the
/// user as is (e.g. <c>subnet 10.88.0.0/24 overlaps network "kapsel0" (10.88.0.0/24)</c>).
/// Whatever the failing call had already made is undone before this is thrown.
/// </summary>
public sealed class NetworkException(string message, Exception? inner = null) : Exception(message, inner);
