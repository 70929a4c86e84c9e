package console

import "github.com/labstack/echo/v4"

func (c *Console) registerVolunteers(g *echo.Group) {}
func (c *Console) registerClients(g *echo.Group)    {}
