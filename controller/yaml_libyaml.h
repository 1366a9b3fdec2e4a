/*
 * libyaml's own <yaml.h>. Our controller/yaml.h has the same name and the
 * controller directory is on the include path, so a plain #include <yaml.h>
 * would find ours; #include_next, from a header found on that path, skips
 * to the system one. Include this as <yaml_libyaml.h>, only from yaml.c.
 */
#ifndef MU_YAML_LIBYAML_H
#define MU_YAML_LIBYAML_H
#include_next <yaml.h>
#endif
