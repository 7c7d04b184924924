// LineBridge frame helpers
