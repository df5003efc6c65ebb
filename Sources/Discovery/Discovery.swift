// Discovery: what a media server (or a client host) offers to tapelib.
//
// - SCSIDevices/: tape drives and medium changers from libudev and sysfs (sg node, H:C:T:L,
//   st/nst nodes, /dev/tape/by-id links, identity, serial).
// - Sources/: the `DiscoverySource` protocol with `UdevDiscoverySource` (a real host) and
//   `TransportDiscoverySource` (devices registered with a transport each, e.g. hwsim's).
// - Candidates/: `CandidateGrouping` pairs changers and drives by serial (pure),
//   `ChangerQuery` asks a changer for INQUIRY and element status with DVCID,
//   `CandidateFinder` answers the API's candidate questions over any source.
// - Monitor/: `UdevMonitor` (netlink on its own thread) and `DeviceTracker` (the hotplug
//   service: registered devices go offline and are re-bound by serial).
// - BlockDevices/: block devices with file systems and mountpoints.
// - Filesystem/: directory listing confined to configured roots.
//
// Blocking work (sysfs, libudev, directory reads) runs on `BlockingIO`'s queue or the
// monitor's thread, never on Swift's cooperative pool.
