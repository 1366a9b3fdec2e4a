/* muster: the controller CLI (see cli.c). */
#include "cli.h"

int main(int argc, char **argv)
{
	return mu_cli_main(argc, argv);
}
