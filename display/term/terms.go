package term

// The terminals a device meets, for builds with the tcell_minimal tag
// (the release builds, to keep the binary within its size budget): tcell's
// minimal set has xterm, tmux, ansi and vt100–vt220, but not the Linux
// console a Raspberry Pi boots to, nor screen, nor the common desktop
// terminals someone may SSH in from.
import (
	_ "github.com/gdamore/tcell/v2/terminfo/a/alacritty"
	_ "github.com/gdamore/tcell/v2/terminfo/l/linux"
	_ "github.com/gdamore/tcell/v2/terminfo/r/rxvt"
	_ "github.com/gdamore/tcell/v2/terminfo/s/screen"
	_ "github.com/gdamore/tcell/v2/terminfo/x/xterm_kitty"
)
