// `alerts`: ingest ZTF alert packets into an embedded store and query it (see AlertsCommand).
AlertsCommand.main()
