from amldebug.cli.main import main

raise SystemExit(main())
