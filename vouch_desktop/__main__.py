from vouch_desktop.cli import main

raise SystemExit(main())
