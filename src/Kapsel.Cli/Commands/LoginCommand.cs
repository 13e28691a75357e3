using System.Text;
using Kapsel.Images;
using Kapsel.Images.Registry;

namespace Kapsel.Cli.Commands;

/// <summary>`login` (credentials checked against the registry, then stored 0600 in ROOT/auth.json) and `logout`.</summary>
public static class LoginCommand
{
    public static readonly Command Login = new(["login"], "Log in to a registry", """
        Usage: kapsel login [-u USER] [-p PASSWORD | --password-stdin] [--tls-verify=false] [--ca-file F] REGISTRY

        Checks the credentials against the registry (basic or token authentication), then stores
        them (mode 0600) in ROOT/auth.json, where pull and push find them. Without -u/-p the
        user name and password are asked for on the terminal.
          -u, --username USER
          -p, --password PASSWORD   (visible in the process list; prefer --password-stdin)
          --password-stdin          read the password from stdin
          --tls-verify=false        accept any registry certificate
          --ca-file FILE            PEM file with extra CA certificates for the registry
        """, RunLogin);

    public static readonly Command Logout = new(["logout"], "Log out from a registry", """
        Usage: kapsel logout REGISTRY

        Removes the stored credentials for REGISTRY from ROOT/auth.json.
        """, RunLogout);

    /// <summary>The host credentials are stored under: what RegistryClient looks up (Docker Hub's API host for docker.io).</summary>
    public static string RegistryHost(string text)
    {
        var host = text.Trim();
        foreach (var scheme in new[] { "https://", "http://" })
            if (host.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) host = host[scheme.Length..];
        var slash = host.IndexOf('/');
        if (slash >= 0) host = host[..slash];
        if (host.Length == 0 || host.Any(char.IsWhiteSpace)) throw new UsageException($"invalid registry \"{text}\"");
        return host.ToLowerInvariant() is "docker.io" or "index.docker.io" or "registry-1.docker.io" ? "registry-1.docker.io" : host.ToLowerInvariant();
    }

    private static int RunLogin(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        ImageCommand.ApplyRegistryFlags(ctx, args);
        var user = args.Value("-u", "--username");
        var password = args.Value("-p", "--password");
        var fromStdin = args.Flag("--password-stdin");
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel login\" needs exactly one REGISTRY");
        if (fromStdin && password is not null) throw new UsageException("--password and --password-stdin are mutually exclusive");
        var host = RegistryHost(names[0]);

        if (user is null)
        {
            if (Console.IsInputRedirected || fromStdin) throw new UsageException("no user name: give -u USER");
            Console.Error.Write("Username: ");
            user = Console.ReadLine()?.Trim() ?? "";
        }
        if (fromStdin)
            password = Console.In.ReadToEnd().TrimEnd('\n', '\r');
        else if (password is null)
        {
            if (Console.IsInputRedirected) throw new UsageException("no password: give -p PASSWORD or --password-stdin");
            password = ReadHidden("Password: ");
        }
        if (user.Length == 0) throw new UsageException("empty user name");
        if (password.Length == 0) throw new UsageException("empty password");

        var store = ctx.Engine.Images;
        var options = store.RegistryOptions with { Credentials = (user, password) };
        try
        {
            using var client = new RegistryClient(host, options);
            client.PingAsync().GetAwaiter().GetResult();
        }
        catch (ImageException e)
        {
            throw new ImageException($"login to {host} failed: {e.Message}");
        }
        new CredentialStore(store.RegistryOptions.AuthFile!).Login(host, user, password);
        Console.Out.WriteLine("Login Succeeded");
        return 0;
    }

    private static int RunLogout(CliContext ctx, string[] argv)
    {
        var args = new ArgReader(argv);
        ImageCommand.ApplyRegistryFlags(ctx, args);
        var names = args.Positionals();
        if (names.Count != 1) throw new UsageException("\"kapsel logout\" needs exactly one REGISTRY");
        var host = RegistryHost(names[0]);
        var credentials = new CredentialStore(ctx.Engine.Images.RegistryOptions.AuthFile!);
        var removed = credentials.Logout(host) | (host != names[0] && credentials.Logout(names[0]));
        Console.Out.WriteLine(removed ? $"Removed login credentials for {host}" : $"Not logged in to {host}");
        return 0;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            sb.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return sb.ToString();
    }
}
