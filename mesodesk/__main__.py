from mesodesk.cli import main

raise SystemExit(main())
