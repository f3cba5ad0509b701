from cakg.cli import main

main()
