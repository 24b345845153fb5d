import { Command } from "commander";

/**
 * Every command that has subcommands answers a mistyped one alike, with commander's own features:
 * the nearest subcommand (showSuggestionAfterError) and then the list of them (showHelpAfterError).
 * Call it once the tree is built: a setting made here is not inherited by the subcommands, so an
 * error of `snapshot rollback` does not list the snapshot commands.
 */
export function explainSubcommands(cmd: Command, usage: string): Command {
  const names = cmd.commands.map((c) => c.name());
  if (names.length > 0) {
    cmd
      .showSuggestionAfterError(true)
      .showHelpAfterError(`commands: ${names.join(", ")} (${usage} <command> --help for one)`);
  }
  return cmd;
}

/**
 * For a command that also runs by itself (the manager's menu): an operand means a mistyped
 * subcommand, answered as commander answers one when the command has no action of its own.
 */
export function refuseUnknownSubcommand(cmd: Command): void {
  if (cmd.args.length === 0) return;
  // unknownCommand is commander's (13.1, pinned) own answer, suggestion included; it is not in its typings.
  (cmd as unknown as { unknownCommand(): never }).unknownCommand();
}
