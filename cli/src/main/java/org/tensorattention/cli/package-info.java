/**
 * The {@code tensor-attention} command line on picocli: one {@code @Command} class per subcommand, shared
 * options as mixins, every failure one line on stderr and a non-zero exit ({@link org.tensorattention.cli.Main}).
 */
package org.tensorattention.cli;
