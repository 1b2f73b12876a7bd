GREETING = "hello from pkgdemo"
