using Kapsel.Images.Build;
using Kapsel.Images.Layout;

namespace Kapsel.Images.Tests;

public class ContainerfileParserTests
{
    private static ShellWords Words(Dictionary<string, string> vars, char escape = '\\') =>
        new(n => vars.TryGetValue(n, out var v) ? v : null, escape);

    [Fact]
    public void ParsesEveryInstructionInBothForms()
    {
        var file = ContainerfileParser.Parse("""
            # syntax=docker/dockerfile:1
            # a comment
            ARG BASE=busybox
            FROM ${BASE} AS build
            RUN echo one \
                two
            RUN ["/bin/echo", "json"]
            COPY --from=build --chown=1:2 a b /dst/
            ADD x.tar /opt/
            ENV A=1 B="two words"
            ENV C legacy form value
            ARG V=3
            WORKDIR /app
            USER nobody
            CMD ["run"]
            ENTRYPOINT /bin/sh -c 'x'
            EXPOSE 80 53/udp
            LABEL k=v
            VOLUME ["/data"]
            STOPSIGNAL SIGINT
            HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost
            SHELL ["/bin/sh", "-ec"]
            ONBUILD RUN echo later
            MAINTAINER someone
            """);
        Assert.Equal("docker/dockerfile:1", file.Syntax);
        Assert.Single(file.GlobalArgs);
        var kw = file.Instructions.Select(i => i.Keyword).ToList();
        Assert.Equal(["FROM", "RUN", "RUN", "COPY", "ADD", "ENV", "ENV", "ARG", "WORKDIR", "USER", "CMD", "ENTRYPOINT", "EXPOSE", "LABEL",
            "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER"], kw);
        var run = file.Instructions[1];
        Assert.Equal("echo one     two", run.Arguments);
        Assert.Equal(5, run.Line);
        Assert.False(run.IsJson);
        Assert.Equal(["/bin/echo", "json"], file.Instructions[2].Json!);
        var copy = file.Instructions[3];
        Assert.Equal(("build", "1:2"), (copy.Flag("from"), copy.Flag("chown")));
        Assert.Equal("a b /dst/", copy.Arguments);
        Assert.Equal("5s", file.Instructions[16].Flag("interval"));
    }

    [Fact]
    public void ConfigInstructionsApplyAsDocker()
    {
        var file = ContainerfileParser.Parse("""
            FROM scratch
            ENV A=1 B="two words"
            ENV C legacy form value
            ENV D=${A}-${MISSING:-dflt}-${A:+set}
            WORKDIR /app
            WORKDIR sub/../src
            USER 1000:1000
            EXPOSE 80 53/udp 8000-8001
            LABEL "com.x"="y z" other=1
            VOLUME /data /cache
            STOPSIGNAL SIGINT
            HEALTHCHECK --interval=1m30s --retries=2 CMD wget -q localhost
            SHELL ["/bin/sh", "-ec"]
            CMD echo hi
            ONBUILD RUN echo later
            """);
        var config = new ImageConfig { Config = new ContainerConfig { Cmd = ["inherited"] } };
        var cmdSet = false;
        foreach (var x in file.Instructions.Skip(1))
            ConfigInstructions.Apply(config, x, new ShellWords(ConfigInstructions.Lookup(config)), ref cmdSet);
        var c = config.Config!;
        Assert.Equal(["A=1", "B=two words", "C=legacy form value", "D=1-dflt-set"], c.Env!);
        Assert.Equal("/app/src", c.WorkingDir);
        Assert.Equal("1000:1000", c.User);
        Assert.Equal(["53/udp", "80/tcp", "8000/tcp", "8001/tcp"], c.ExposedPorts!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("y z", c.Labels!["com.x"]);
        Assert.Equal(["/cache", "/data"], c.Volumes!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("SIGINT", c.StopSignal);
        Assert.Equal(["CMD-SHELL", "wget -q localhost"], c.Healthcheck!.Test!);
        Assert.Equal(90_000_000_000L, c.Healthcheck.Interval);
        Assert.Equal(2, c.Healthcheck.Retries);
        Assert.Equal(["/bin/sh", "-ec", "echo hi"], c.Cmd!); // shell form through SHELL
        Assert.Equal(["RUN echo later"], c.OnBuild!);
    }

    [Fact]
    public void EntrypointResetsInheritedCmdOnly()
    {
        var config = new ImageConfig { Config = new ContainerConfig { Cmd = ["inherited"] } };
        var cmdSet = false;
        var w = new ShellWords(_ => null);
        ConfigInstructions.Apply(config, ContainerfileParser.ParseInstruction("ENTRYPOINT [\"/x\"]", 1), w, ref cmdSet);
        Assert.Null(config.Config!.Cmd);
        ConfigInstructions.Apply(config, ContainerfileParser.ParseInstruction("CMD [\"a\"]", 2), w, ref cmdSet);
        ConfigInstructions.Apply(config, ContainerfileParser.ParseInstruction("ENTRYPOINT [\"/y\"]", 3), w, ref cmdSet);
        Assert.Equal(["a"], config.Config.Cmd!);
        Assert.Equal(["/y"], config.Config.Entrypoint!);
    }

    [Fact]
    public void SubstitutionQuotesAndEscapes()
    {
        var w = Words(new() { ["X"] = "ex", ["EMPTY"] = "" });
        Assert.Equal(["ex", "ex", "$X", "a b", "ex c"], w.Words("$X ${X} '$X' \"a b\" \"${X} c\""));
        Assert.Equal(["$X"], w.Words("\\$X"));
        Assert.Equal("d", w.Word("${EMPTY:-d}"));
        Assert.Equal("", w.Word("${EMPTY-d}"));
        Assert.Equal("d", w.Word("${UNSET-d}"));
        Assert.Equal("", w.Word("${UNSET:+alt}"));
        Assert.Equal("alt", w.Word("${X:+alt}"));
        Assert.Equal("ex/path with space", w.Word("$X/path with space"));
        Assert.Throws<ImageException>(() => w.Word("${UNSET:?must be set}"));
        Assert.Throws<ImageException>(() => w.Words("\"unterminated"));
        // escape=` (Windows style): backslash is literal
        Assert.Equal(["C:\\dir", "$X"], Words(new(), '`').Words("C:\\dir `$X"));
    }

    [Fact]
    public void EscapeDirectiveChangesLineContinuation()
    {
        var file = ContainerfileParser.Parse("# escape=`\nFROM scratch\nRUN echo a `\n  b\nCOPY c:\\x /y\n");
        Assert.Equal('`', file.Escape);
        Assert.Equal("echo a   b", file.Instructions[1].Arguments);
        Assert.Equal("c:\\x /y", file.Instructions[2].Arguments);
    }

    [Fact]
    public void CommentsAndBlankLinesInsideContinuationsAreSkipped()
    {
        var file = ContainerfileParser.Parse("FROM scratch\nRUN a \\\n# comment\n\n  && b\nCMD [\"x\"]\n");
        Assert.Equal("a   && b", file.Instructions[1].Arguments);
        Assert.Equal(6, file.Instructions[2].Line);
    }

    [Fact]
    public void DirectiveAfterAnInstructionIsAComment()
    {
        var file = ContainerfileParser.Parse("FROM scratch\n# escape=`\nRUN a \\\n b\n");
        Assert.Equal('\\', file.Escape);
        Assert.Equal("a  b", file.Instructions[1].Arguments);
    }

    [Fact]
    public void InvalidJsonFallsBackToShellForm()
    {
        var x = ContainerfileParser.ParseInstruction("CMD [not json", 1);
        Assert.False(x.IsJson);
        Assert.Equal("[not json", x.Arguments);
    }

    [Theory]
    [InlineData("FROM scratch\nFROBNICATE x\n", "Containerfile:2: unknown instruction: FROBNICATE")]
    [InlineData("# only a comment\nRUN echo\n", "Containerfile:2: no FROM instruction")]
    [InlineData("", "Containerfile: no instructions")]
    [InlineData("ARG A\nENV X=1\nFROM scratch\n", "Containerfile:2: ENV before the first FROM")]
    [InlineData("FROM scratch\n\nCOPY --bogus=1 a b\n", "Containerfile:3: COPY: unknown flag --bogus")]
    [InlineData("FROM scratch\nSHELL /bin/bash\n", "Containerfile:2: SHELL requires the JSON form")]
    [InlineData("FROM scratch\nENV\n", "Containerfile:2: ENV requires at least one argument")]
    [InlineData("# escape=x\nFROM scratch\n", "Containerfile:1: invalid escape character")]
    public void ErrorsNameTheLine(string text, string expected)
    {
        var e = Assert.Throws<ContainerfileException>(() => ContainerfileParser.Parse(text));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void DockerignorePatterns()
    {
        var f = new ContextFilter(["# comment", "*.log", "build/", "!build/keep.txt", "**/secret*", "/docs/*.md"]);
        Assert.True(f.IsExcluded("a.log"));
        Assert.False(f.IsExcluded("sub/a.log")); // * stays in one component
        Assert.True(f.IsExcluded("build/out.o"));
        Assert.False(f.IsExcluded("build/keep.txt"));
        Assert.True(f.IsExcluded("deep/er/secret.key"));
        Assert.True(f.IsExcluded("docs/readme.md"));
        Assert.False(f.IsExcluded("docs/img.png"));
        Assert.True(f.HasExceptions);
        Assert.True(new PathGlob("src/*.c").Matches("src/a.c"));
        Assert.False(new PathGlob("src/*.c").Matches("src/x/a.c"));
        Assert.True(new PathGlob("f[0-9]?").Matches("f1x"));
        Assert.Equal("a/b", PathGlob.Clean("./a//b/"));
        Assert.Equal("../x", PathGlob.Clean("a/../../x"));
    }

    [Fact]
    public void GoDurations()
    {
        Assert.Equal(30_000_000_000L, ConfigInstructions.Duration("30s"));
        Assert.Equal(500_000_000L, ConfigInstructions.Duration("500ms"));
        Assert.Equal(3_900_000_000_000L, ConfigInstructions.Duration("1h5m"));
        Assert.Throws<ImageException>(() => ConfigInstructions.Duration("5 sec"));
    }
}
