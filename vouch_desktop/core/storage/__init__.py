"""What the app keeps on disk: atomic versioned files, settings, profiles, history."""
