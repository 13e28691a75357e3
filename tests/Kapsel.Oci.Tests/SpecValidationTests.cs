using Kapsel.Oci.Spec;

namespace Kapsel.Oci.Tests;

public sealed class SpecValidationTests
{
    private const string Minimal = """
        {"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":{"args":["sh"],"cwd":"/"},
         "linux":{"namespaces":[{"type":"mount"},{"type":"pid"}]}}
        """;

    private static string Error(string json)
    {
        var warnings = new List<string>();
        var e = Assert.Throws<OciException>(() =>
        {
            var spec = SpecLoader.Parse(json, warnings);
            SpecValidator.Validate(spec, null, warnings);
        });
        return e.Message;
    }

    [Fact]
    public void MinimalConfigIsValid()
    {
        var warnings = new List<string>();
        SpecValidator.Validate(SpecLoader.Parse(Minimal, warnings), null, warnings);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("""{"type":"foo"}""", "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"")]
    [InlineData("""{"type":"pid"}""", "config.json: linux.namespaces[2].type: namespace \"pid\" is listed more than once")]
    [InlineData("""{"type":"net","path":"relative"}""", "linux.namespaces[2].path: \"relative\" is not an absolute path")]
    public void BadNamespaces(string ns, string expected) =>
        Assert.Contains(expected, Error(Minimal.Replace("""{"type":"pid"}]""", """{"type":"pid"},""" + ns + "]")));

    [Fact]
    public void WrongJsonTypeNamesTheField() =>
        Assert.Contains("config.json: process.user.uid: wrong type, expected a non-negative integer",
            Error(Minimal.Replace("\"cwd\":\"/\"", "\"cwd\":\"/\",\"user\":{\"uid\":\"root\"}")));

    [Fact]
    public void UnknownFieldsAreWarningsNotErrors()
    {
        var warnings = new List<string>();
        SpecLoader.Parse(Minimal.Replace("\"cwd\":\"/\"", "\"cwd\":\"/\",\"colour\":1"), warnings);
        Assert.Contains("config.json: process.colour: unknown property ignored", warnings);
    }

    [Theory]
    [InlineData("\"mounts\":[{\"destination\":\"tmp\",\"type\":\"tmpfs\"}],", "mounts[0].destination: \"tmp\" is not an absolute path")]
    [InlineData("\"mounts\":[{\"destination\":\"/x\",\"options\":[\"bind\"]}],", "mounts[0].source: missing: a bind mount needs a source")]
    [InlineData("\"hostname\":\"h\",", "hostname: cannot set a hostname without a uts namespace")]
    [InlineData("\"hooks\":{\"poststop\":[{\"path\":\"rel\"}]},", "hooks.poststop[0].path: \"rel\" is not an absolute path")]
    public void BadTopLevelFields(string fragment, string expected) =>
        Assert.Contains(expected, Error(Minimal.Replace("\"root\":", fragment + "\"root\":")));

    [Theory]
    [InlineData("\"cwd\":\"rel\"", "process.cwd: \"rel\" is not an absolute path")]
    [InlineData("\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]", "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"")]
    [InlineData("\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":1}]", "process.rlimits[0]: soft limit 2 exceeds hard limit 1")]
    [InlineData("\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_FLY\"]}", "process.capabilities.bounding[0]: unknown capability \"CAP_FLY\"")]
    [InlineData("\"cwd\":\"/\",\"oomScoreAdj\":5000", "process.oomScoreAdj: 5000 is outside -1000..1000")]
    public void BadProcessFields(string fragment, string expected) =>
        Assert.Contains(expected, Error(Minimal.Replace("\"cwd\":\"/\"", fragment)));

    [Theory]
    [InlineData("\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]", "linux.uidMappings: given, but no new user namespace")]
    [InlineData("\"resources\":{\"memory\":{\"limit\":100}}", "linux.resources.memory.limit: 100 bytes is below the 6 MiB minimum")]
    [InlineData("\"resources\":{\"cpu\":{\"cpus\":\"0-a\"}}", "linux.resources.cpu.cpus: \"0-a\" is not a cpu list")]
    [InlineData("\"timeOffsets\":{\"monotonic\":{\"secs\":1}}", "linux.timeOffsets: given, but no time namespace")]
    [InlineData("\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]", "linux.devices[0].type: unknown device type \"x\"")]
    public void BadLinuxFields(string fragment, string expected) =>
        Assert.Contains(expected, Error(Minimal.Replace("\"linux\":{", "\"linux\":{" + fragment + ",")));

    [Fact]
    public void UserNamespaceNeedsMappedUser() =>
        Assert.Contains("process.user.uid: 5 is not mapped by linux.uidMappings", Error(Minimal
            .Replace("\"cwd\":\"/\"", "\"cwd\":\"/\",\"user\":{\"uid\":5,\"gid\":0}")
            .Replace("{\"type\":\"pid\"}", "{\"type\":\"pid\"},{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}],\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":1}]").Replace("]]", "]")));

    [Fact]
    public void MissingRootfsIsReported()
    {
        var dir = Directory.CreateTempSubdirectory("kapsel-oci-spec-").FullName;
        try
        {
            var warnings = new List<string>();
            var e = Assert.Throws<OciException>(() => SpecValidator.Validate(SpecLoader.Parse(Minimal, warnings), dir, warnings));
            Assert.Contains("root.path: root filesystem", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void GeneratedSpecIsValid()
    {
        var warnings = new List<string>();
        SpecValidator.Validate(DefaultSpec.Create(), null, warnings);
        SpecValidator.Validate(DefaultSpec.Create(rootless: true), null, warnings);
    }

    [Theory]
    [InlineData("KILL", 9)]
    [InlineData("SIGTERM", 15)]
    [InlineData("9", 9)]
    [InlineData("RTMIN+3", 37)]
    public void SignalsParse(string text, int number) => Assert.Equal(number, Signals.Parse(text));
}
