public enum LTFSModule {}
