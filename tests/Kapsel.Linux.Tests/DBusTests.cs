using System.Diagnostics;
using Kapsel.Linux.DBus;

namespace Kapsel.Linux.Tests;

/// <summary>D-Bus marshalling, and the client against a private dbus-daemon (auth, framing, replies, errors).</summary>
public sealed class DBusTests
{
    [Fact]
    public void WriterAlignsAndArraysCountOnlyTheirElements()
    {
        var w = new DBusWriter();
        w.Byte(7);
        w.UInt32(0x01020304);
        Assert.Equal(new byte[] { 7, 0, 0, 0, 4, 3, 2, 1 }, w.Written.ToArray());
        using (w.Array(8)) // length at 8..11, padding 12..15, then one struct (y, u)
        {
            w.Struct();
            w.Byte(1);
            w.UInt32(2);
        }
        Assert.Equal(24, w.Length);
        Assert.Equal(8, BitConverter.ToInt32(w.Written[8..12])); // 16..23: the elements, not the padding
        w.Signature("au");
        Assert.Equal(new byte[] { 2, (byte)'a', (byte)'u', 0 }, w.Written[24..28].ToArray());
    }

    [Fact]
    public void MethodCallRoundTripsThroughTheParser()
    {
        var raw = DBusMessage.MethodCall(9, SystemdManager.Destination, SystemdManager.ObjectPath, SystemdManager.Interface,
            "StartTransientUnit", SystemdManager.StartTransientUnitSignature,
            w => SystemdManager.WriteStartTransientScope(w, "kapsel-c1.scope", "machine.slice", [42, 43], "kapsel c1"));
        Assert.Equal(raw.Length, DBusMessage.TotalLength(raw));
        var m = DBusMessage.Parse(raw);
        Assert.Equal(DBusMessageType.MethodCall, m.Type);
        Assert.Equal(9u, m.Serial);
        Assert.Equal("StartTransientUnit", m.Member);
        Assert.Equal(SystemdManager.ObjectPath, m.Path);
        Assert.Equal(SystemdManager.StartTransientUnitSignature, m.Signature);

        var r = m.Body();
        Assert.Equal("kapsel-c1.scope", r.String());
        Assert.Equal("fail", r.String());
        var properties = new Dictionary<string, object>();
        var end = r.ArrayEnd(8);
        while (r.Position < end)
        {
            r.Align(8);
            var name = r.String();
            var sig = r.Signature();
            properties[name] = sig switch
            {
                "s" => r.String(),
                "b" => r.Boolean(),
                "au" => ReadUInts(r),
                _ => throw new InvalidOperationException(sig),
            };
        }
        Assert.Equal("kapsel c1", properties["Description"]);
        Assert.Equal("machine.slice", properties["Slice"]);
        Assert.Equal(new uint[] { 42, 43 }, properties["PIDs"]);
        Assert.Equal(true, properties["Delegate"]);
        Assert.Equal(false, properties["DefaultDependencies"]);
        var auxEnd = r.ArrayEnd(8);
        Assert.Equal(auxEnd, r.Position);
        Assert.Equal(raw.Length, r.Position);
    }

    private static uint[] ReadUInts(DBusReader r)
    {
        var list = new List<uint>();
        var end = r.ArrayEnd(4);
        while (r.Position < end) list.Add(r.UInt32());
        return list.ToArray();
    }

    [Fact]
    public void TalksToAPrivateBusDaemon()
    {
        Assert.True(File.Exists("/usr/bin/dbus-daemon"), "dbus-daemon is not installed (apt package dbus, in scripts/install-deps.sh)");
        var dir = Directory.CreateTempSubdirectory("kapsel-dbus-").FullName;
        var socket = Path.Combine(dir, "bus");
        // A bus of our own: EXTERNAL auth only, everything allowed, no service activation.
        var config = Path.Combine(dir, "bus.conf");
        File.WriteAllText(config, $"""
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <busconfig>
              <type>custom</type>
              <listen>unix:path={socket}</listen>
              <auth>EXTERNAL</auth>
              <policy context="default">
                <allow send_destination="*" eavesdrop="true"/>
                <allow eavesdrop="true"/>
                <allow own="*"/>
              </policy>
            </busconfig>
            """);
        using var daemon = Process.Start(new ProcessStartInfo("/usr/bin/dbus-daemon",
            [$"--config-file={config}", "--nofork", "--nopidfile", "--nosyslog", "--print-address"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        try
        {
            Assert.StartsWith("unix:path=" + socket, daemon.StandardOutput.ReadLine()); // listening from here on

            using var bus = DBusConnection.Open(socket, timeoutMs: 5000);
            Assert.StartsWith(":", bus.UniqueName);
            var id = bus.Call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetId").Body().String();
            Assert.Matches("^[0-9a-f]{32}$", id);

            // The daemon checks every message against its signature before routing it: a malformed
            // StartTransientUnit would cost us the connection, a well-formed one gets "no such service".
            var e = Assert.Throws<DBusException>(() => SystemdManager.StartTransientScope(bus, "kapsel-t.scope", "machine.slice", [1], "test"));
            Assert.Equal("org.freedesktop.DBus.Error.ServiceUnknown", e.Name);
            Assert.Contains("org.freedesktop.systemd1", e.Message);
            var names = bus.Call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames");
            Assert.Equal("as", names.Signature);
        }
        finally
        {
            daemon.Kill();
            daemon.WaitForExit();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void MissingBusIsAOneLineError()
    {
        var e = Assert.Throws<DBusException>(() => DBusConnection.Open("/nonexistent/kapsel/bus"));
        Assert.Contains("cannot connect to the D-Bus socket /nonexistent/kapsel/bus", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
