from gridalert.cli import main

main()
