using System.Net;

namespace Kapsel.Network.Networks;

/// <summary>
/// Persistence for networks and address leases. Decisions that must be unique across concurrent
/// kapsel processes (which subnet, which address) are made by a callback that runs inside the
/// store's exclusive write transaction, over the records as they are at that moment.
/// </summary>
public interface INetworkStore
{
    IReadOnlyList<NetworkRecord> ListNetworks();
    NetworkRecord? FindNetwork(string name);

    /// <summary>
    /// Atomically: reads all networks, lets <paramref name="decide"/> build the new record (it
    /// throws to refuse), inserts it. A taken name throws <see cref="NetworkException"/>.
    /// </summary>
    NetworkRecord AddNetwork(string name, Func<IReadOnlyList<NetworkRecord>, NetworkRecord> decide);

    void SetNetworkState(string name, RecordState state);

    /// <summary>Removes the network record; its leases must be gone (returns false if it had none to remove).</summary>
    bool RemoveNetwork(string name);

    IReadOnlyList<LeaseRecord> ListLeases(string? network = null);

    /// <summary>Atomically: reads the network's taken addresses, lets <paramref name="pick"/> choose one, inserts the lease.</summary>
    LeaseRecord AddLease(string network, Func<IReadOnlySet<IPAddress>, LeaseRecord> pick);

    void SetLeaseState(string leaseId, RecordState state);

    bool RemoveLease(string leaseId);
}
