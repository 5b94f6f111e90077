/**
 * The {@code tensor-attention} command line: one {@link org.tensorattention.cli.Command} per subcommand,
 * options declared up front and parsed by {@link org.tensorattention.cli.Args}; every failure becomes one line
 * on stderr and a non-zero exit ({@link org.tensorattention.cli.Main}).
 */
package org.tensorattention.cli;
