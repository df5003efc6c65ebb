import SCSI
public enum HWSimModule {}
