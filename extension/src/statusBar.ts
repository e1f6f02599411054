// The status bar item that shows the debug container's state and opens the actions fitting it.
import type { StatusBarItem } from 'vscode';
import { actionsForState, NO_CONTAINER, presentState, type ContainerState } from './containerState';
import {
    createStatusBarItem,
    executeCommand,
    registerCommand,
    setContext,
    showQuickPick,
    themeColor,
} from './common/vscodeapi';

export const STATUS_BAR_ACTIONS_COMMAND = 'azuremlDebug.statusBarActions';

export class ContainerStatusBar {
    private readonly item: StatusBarItem;
    private current: ContainerState = NO_CONTAINER;
    private readonly listeners: ((state: ContainerState) => void)[] = [];

    constructor() {
        this.item = createStatusBarItem('amldebug.container', 100);
        this.item.name = 'Azure ML debug container';
        this.item.command = STATUS_BAR_ACTIONS_COMMAND;
        this.update(NO_CONTAINER);
        this.item.show();
    }

    get state(): ContainerState {
        return this.current;
    }

    onDidChange(listener: (state: ContainerState) => void): void {
        this.listeners.push(listener);
    }

    update(state: ContainerState): void {
        // Keep what a partial notification leaves out (the name and ports from the `up` result).
        this.current = {
            ...(state.state === 'none' ? {} : this.current),
            ...Object.fromEntries(Object.entries(state).filter(([, v]) => v !== undefined)),
        } as ContainerState;
        const presentation = presentState(this.current);
        this.item.text = presentation.text;
        this.item.tooltip = presentation.tooltip;
        this.item.backgroundColor = presentation.isError
            ? themeColor('statusBarItem.errorBackground')
            : undefined;
        void setContext('amldebug.containerState', this.current.state);
        for (const listener of this.listeners) {
            listener(this.current);
        }
    }

    async showActions(): Promise<void> {
        const picked = await showQuickPick(actionsForState(this.current), {
            title: `Azure ML: ${presentState(this.current).text.replace(/\$\([^)]*\)\s*/g, '')}`,
            placeHolder: 'Choose an action for the debug container',
        });
        if (picked) {
            await executeCommand(picked.command);
        }
    }

    register(): { dispose(): void } {
        const command = registerCommand(STATUS_BAR_ACTIONS_COMMAND, () => this.showActions());
        return {
            dispose: () => {
                command.dispose();
                this.item.dispose();
            },
        };
    }
}
