public enum TapeHardwareModule {}
