import CUdev
public enum DiscoveryModule {}
