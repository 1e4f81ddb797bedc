// Package input reads the Linux input devices (evdev, /dev/input/event*)
// and turns presses into display.Key values, the roles the pairing
// screens offer: A (a new code), B, X (unpair), Y (the details), MENU and
// any other key.
//
// # Devices
//
// A device is used for what it can do, asked of the kernel (EVIOCGBIT for
// its EV_KEY and EV_ABS codes, EVIOCGPROP, EVIOCGNAME for the logs), never
// for its name:
//
//   - a gamepad has a button of the gamepad range, BTN_SOUTH (BTN_A) to
//     BTN_THUMBR; a joystick's buttons (BTN_TRIGGER ... BTN_DEAD) count
//     only when Options.Map names one of them;
//   - a keyboard has KEY_ENTER and all the letters;
//   - a touch screen has ABS_MT_POSITION_X, or BTN_TOUCH with ABS_X, and is
//     not a pointer (INPUT_PROP_POINTER marks touchpads and tablets).
//
// Anything else is left alone: power buttons, lid switches, mice,
// accelerometers, a TV remote's handful of keys. Style names the keys
// after the devices present: a gamepad's if there is one, else a
// keyboard's, else a touch screen's.
//
// A device is never grabbed (EVIOCGRAB): a desktop, a console or muOS's
// frontend may read it too, and each reader gets every event. So the
// daemon only takes keys while the screen is its own (Options.Active).
//
// # Hotplug
//
// The directory is watched with inotify: a node created, moved in or
// whose permissions changed is probed and, if it is a device we use, read
// at once; so is the directory itself when it appears, since devtmpfs
// removes /dev/input with its last device. A read that fails ends that
// device alone: ENODEV when it is unplugged, and then Style no longer
// counts it.
//
// # Permissions
//
// Nodes are root:input 0660 on systemd images, and the service user is in
// the input group: the unit has SupplementaryGroups=input, and under
// DevicePolicy=closed also DeviceAllow=char-input r. On muOS the daemon
// runs as root. A device that cannot be opened (EACCES, or EPERM from the
// device cgroup) is logged once, at Info, and skipped; it is tried again
// if its permissions change.
//
// # The default map
//
// Evdev codes (EV_KEY) and what they are:
//
//	A     BTN_SOUTH; KEY_ENTER, KEY_KPENTER, KEY_SPACE, KEY_R; a tap
//	B     BTN_EAST; KEY_ESC, KEY_Q, KEY_BACKSPACE, KEY_BACK
//	X     BTN_NORTH; KEY_U
//	Y     BTN_WEST; KEY_I, KEY_SLASH ('?' with Shift, or '/'), KEY_H
//	MENU  BTN_MODE, BTN_START; KEY_MENU
//	none  the D-pad (BTN_DPAD_*), power, sleep, volume, brightness and
//	      modifier keys (Shift, Ctrl, Alt, Meta, Caps Lock)
//	other every other key or button, BTN_SELECT included
//
// The gamepad's buttons are by position, as the kernel names them (south
// is the bottom one), which puts A at the bottom as on an Xbox pad. A
// handheld whose buttons are labelled otherwise, or whose driver sends
// other codes, needs a Map (the config's [input] table; on muOS the
// launcher passes the device's own codes from its configuration).
//
// Only presses count (value 1), not releases or the auto-repeat (2);
// a touch screen's tap counts when the finger lifts (BTN_TOUCH going to 0,
// or ABS_MT_TRACKING_ID -1 on a multi-touch screen without BTN_TOUCH).
// Sticks, hats (the D-pad of most gamepads) and triggers on axes are
// ignored: the screens need no navigation.
//
// # Events
//
// A device is read as a stream of struct input_event: 24 bytes on 64-bit
// systems, 16 on 32-bit ones (armv6, armv7), whose time fields are a C long
// each whatever the userland's time_t.
package input
