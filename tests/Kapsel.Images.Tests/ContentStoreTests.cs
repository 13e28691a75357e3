using System.Text;
using Kapsel.Images.Content;

namespace Kapsel.Images.Tests;

public class ContentStoreTests
{
    [Fact]
    public void Put_and_read_back_verified()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var data = Encoding.UTF8.GetBytes("hello blobs");
        var d = store.Put(data);
        Assert.Equal(Digest.Of(data), d);
        Assert.True(File.Exists(Path.Combine(tmp.Path, "blobs", "sha256", d.Hex)));
        Assert.Equal(data, store.ReadAllBytes(d, data.Length));
        Assert.True(store.Verify(d));
    }

    [Fact]
    public void Corrupted_blob_fails_at_end_of_read()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var d = store.Put(Encoding.UTF8.GetBytes("original content"));
        File.WriteAllText(store.BlobPath(d), "tampered content");
        var e = Assert.Throws<ImageException>(() => store.ReadAllBytes(d));
        Assert.Contains("digest mismatch", e.Message);
        Assert.False(store.Verify(d));
    }

    [Fact]
    public async Task Streamed_write_with_wrong_digest_or_size_stores_nothing()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var data = new byte[300_000];
        Random.Shared.NextBytes(data);
        var wrong = Digest.Of("x"u8);
        var e = await Assert.ThrowsAsync<ImageException>(() => store.PutAsync(new MemoryStream(data), wrong));
        Assert.Contains("digest mismatch", e.Message);
        e = await Assert.ThrowsAsync<ImageException>(() => store.PutAsync(new MemoryStream(data), Digest.Of(data), 1000));
        Assert.Contains("1000", e.Message);
        Assert.Empty(Directory.GetFiles(store.BlobsDir));
        Assert.Equal(Digest.Of(data), await store.PutAsync(new MemoryStream(data), Digest.Of(data), data.Length));
    }

    [Fact]
    public async Task Concurrent_writers_of_the_same_blob()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var data = new byte[2_000_000];
        Random.Shared.NextBytes(data);
        var digest = Digest.Of(data);
        var tasks = Enumerable.Range(0, 8).Select(_ => Task.Run(() => store.PutAsync(new MemoryStream(data), digest, data.Length)));
        var results = await Task.WhenAll(tasks);
        Assert.All(results, r => Assert.Equal(digest, r));
        Assert.Single(Directory.GetFiles(store.BlobsDir));
        Assert.True(store.Verify(digest));
    }

    [Fact]
    public void Ingest_resumes_from_the_partial_file()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var data = new byte[1_000_000];
        Random.Shared.NextBytes(data);
        var digest = Digest.Of(data);
        using (var first = store.BeginIngest(digest, data.Length))
        {
            Assert.Equal(0, first.Offset);
            first.Append(data.AsSpan(0, 400_000)); // then the "connection drops"
        }
        Assert.Equal(400_000, new FileInfo(Path.Combine(store.IngestDir, digest.Hex + ".partial")).Length);
        using (var second = store.BeginIngest(digest, data.Length))
        {
            Assert.Equal(400_000, second.Offset);
            second.Append(data.AsSpan(400_000));
            Assert.Equal(digest, second.Commit());
        }
        Assert.Equal(data, store.ReadAllBytes(digest));
        Assert.False(File.Exists(Path.Combine(store.IngestDir, digest.Hex + ".partial")));
    }

    [Fact]
    public void Ingest_with_bad_content_is_discarded()
    {
        using var tmp = new TempDir();
        var store = new ContentStore(tmp.Path);
        var digest = Digest.Of("the real thing"u8);
        using var ingest = store.BeginIngest(digest, 14);
        ingest.Append("a fake thing!!"u8);
        Assert.Contains("digest mismatch", Assert.Throws<ImageException>(() => ingest.Commit()).Message);
        Assert.False(store.Exists(digest));
        Assert.Equal(0, ingest.Offset);
    }

    [Fact]
    public void Digest_parsing()
    {
        Assert.True(Digest.TryParse("sha256:" + new string('a', 64), out _));
        Assert.False(Digest.TryParse("sha256:" + new string('A', 64), out _));
        Assert.False(Digest.TryParse("sha512:" + new string('a', 64), out _));
        Assert.False(Digest.TryParse("sha256:abc", out _));
        Assert.Contains("invalid digest", Assert.Throws<ImageException>(() => Digest.Parse("nope")).Message);
    }
}
