import GRDB
public enum CatalogModule {}
