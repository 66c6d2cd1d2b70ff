from chartkeep.cli import main

main()
