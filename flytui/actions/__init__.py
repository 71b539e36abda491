"""The app's actions, one mixin per job: records, search, commit, dead letters."""
