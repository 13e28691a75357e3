namespace Kapsel.Engine;

/// <summary>A user-facing failure of Kapsel itself: the CLI prints the message as one line and exits 125.</summary>
public class KapselException(string message, Exception? inner = null) : Exception(message, inner);
